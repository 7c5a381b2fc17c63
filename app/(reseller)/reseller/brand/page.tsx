import { PageHeader } from "@/app/_components/page-header";
import { BrandEditor } from "@/app/_components/brand/brand-editor";

export const metadata = { title: "Brand" };

export default function BrandPage() {
  return (
    <>
      <PageHeader
        title="Brand"
        description="How your panel, sign-in page and emails look to your customers. The preview follows your changes as you type."
      />
      <BrandEditor />
    </>
  );
}
