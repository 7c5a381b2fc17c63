import { router } from "../../init";

export const operationRouter = router({});
