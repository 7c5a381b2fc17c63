/** @type {import('next').NextConfig} */
const nextConfig = {
  // Separate build folders let several builds (dev, tests, benchmarks) share one checkout.
  distDir: process.env.NEXT_DIST_DIR || ".next",
  poweredByHeader: false,
  // prom-client: one copy of its registry for the whole server, whichever route counts into it.
  // ssh2 (public keys in the SFTP settings): its optional native binding cannot be bundled.
  serverExternalPackages: ["@node-rs/argon2", "sharp", "pg", "bullmq", "ioredis", "prom-client", "ssh2"],
  async headers() {
    return [
      {
        source: "/:path*",
        headers: [
          { key: "X-Content-Type-Options", value: "nosniff" },
          { key: "Referrer-Policy", value: "same-origin" },
          { key: "X-Frame-Options", value: "DENY" },
        ],
      },
    ];
  },
};
export default nextConfig;
