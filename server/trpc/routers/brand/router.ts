import { router } from "../../init";

export const brandRouter = router({});
