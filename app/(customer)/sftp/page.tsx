import { SftpView } from "./sftp-view";

export const metadata = { title: "SFTP" };

export default function SftpPage() {
  return <SftpView />;
}
