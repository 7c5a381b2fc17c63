import { router } from "../../init";

export const nodeRouter = router({});
