import { router } from "../../init";

export const planRouter = router({});
