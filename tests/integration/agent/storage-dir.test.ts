import { storageSuite } from "./storage-suite";

// The portable directory driver (hard-linked snapshots, our own incremental stream).
storageSuite({ storage: "dir", address: "127.0.25.1", peerAddress: "127.0.25.2", httpPort: 18501, mysqlPort: 13501, agentPort: 18510 });
