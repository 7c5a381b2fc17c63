import { router } from "../../init";
import { getMe } from "./get-me";
import { startImpersonation } from "./start-impersonation";
import { stopImpersonation } from "./stop-impersonation";

export const sessionRouter = router({
  me: getMe,
  startImpersonation,
  stopImpersonation,
});
