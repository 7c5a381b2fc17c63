import { router } from "../../init";

export const resellerRouter = router({});
