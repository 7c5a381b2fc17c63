import { router } from "../../init";

export const databaseRouter = router({});
