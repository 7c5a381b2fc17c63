export const appLabels = {
  NONE: "Plain PHP",
  WORDPRESS: "WordPress",
  MEDIAWIKI: "MediaWiki",
  DOKUWIKI: "DokuWiki",
} as const;

export type SiteAppKey = keyof typeof appLabels;

export const appDescriptions: Record<SiteAppKey, string> = {
  NONE: "An empty site: upload your own files.",
  WORDPRESS: "Blog or website. Creates a database for it.",
  MEDIAWIKI: "A wiki like Wikipedia. Creates a database for it.",
  DOKUWIKI: "A simple wiki that keeps pages in files.",
};
