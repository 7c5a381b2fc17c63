import { router } from "../../init";

export const domainRouter = router({});
