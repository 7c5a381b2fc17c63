import type { NodeRoot } from "../node-root";
import type { AppSpec } from "../../../server/contract/node-spec";
import { installDokuWiki } from "./dokuwiki";
import { readAppMarker, writeAppMarker } from "./marker";
import { installWordPress } from "./wordpress";

const installers: Record<AppSpec["kind"], typeof installWordPress> = {
  wordpress: installWordPress,
  dokuwiki: installDokuWiki,
};

/**
 * Installs the site's app once. The marker, written last, is what makes it "installed": a failure
 * anywhere before leaves no marker and no stage, so the next converge retries from scratch.
 */
export async function installApp(
  node: NodeRoot,
  site: { siteId: string; username: string; documentRoot: string; app: AppSpec },
): Promise<void> {
  const volumeDir = node.siteVolumeDir(site.username, site.siteId);
  // diffNode saw no marker; one written since (a concurrent install) means there is nothing to do.
  if (await readAppMarker(volumeDir)) return;
  await installers[site.app.kind](node, site, site.app);
  await writeAppMarker(volumeDir, site.app.kind);
}
