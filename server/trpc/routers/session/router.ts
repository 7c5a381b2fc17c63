import { router } from "../../init";

export const sessionRouter = router({});
