import { router } from "../../init";

export const customerRouter = router({});
