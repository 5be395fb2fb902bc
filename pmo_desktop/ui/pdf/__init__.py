"""The executive pack as PDF (Qt's PDF writer; runs headless on the offscreen platform)."""

from .pdf_pack import PdfPackError, PdfPackResult, write_pdf_pack

__all__ = ["PdfPackError", "PdfPackResult", "write_pdf_pack"]
