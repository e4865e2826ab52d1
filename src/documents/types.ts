// Which documents a video may carry, judged on their bytes: the first bytes
// are sniffed with `file-type` (magic numbers, and the inside of zip
// containers for OOXML / OpenDocument / EPUB) and must be of the type the
// file's extension names; text files must be UTF-8 without NUL bytes. A
// ".pdf" holding HTML, an executable or a script is refused whatever its name.
import { fileTypeFromBuffer } from 'file-type';
import { extensionOf } from '../uploads/media-check.ts';

interface DocumentType { mime: string; detected: string[] | 'text' }

export const DOCUMENT_TYPES: Record<string, DocumentType> = {
  pdf: { mime: 'application/pdf', detected: ['pdf'] },
  png: { mime: 'image/png', detected: ['png'] },
  jpg: { mime: 'image/jpeg', detected: ['jpg'] },
  jpeg: { mime: 'image/jpeg', detected: ['jpg'] },
  gif: { mime: 'image/gif', detected: ['gif'] },
  webp: { mime: 'image/webp', detected: ['webp'] },
  docx: { mime: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', detected: ['docx'] },
  xlsx: { mime: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', detected: ['xlsx'] },
  pptx: { mime: 'application/vnd.openxmlformats-officedocument.presentationml.presentation', detected: ['pptx'] },
  odt: { mime: 'application/vnd.oasis.opendocument.text', detected: ['odt'] },
  ods: { mime: 'application/vnd.oasis.opendocument.spreadsheet', detected: ['ods'] },
  odp: { mime: 'application/vnd.oasis.opendocument.presentation', detected: ['odp'] },
  doc: { mime: 'application/msword', detected: ['cfb'] },
  xls: { mime: 'application/vnd.ms-excel', detected: ['cfb'] },
  ppt: { mime: 'application/vnd.ms-powerpoint', detected: ['cfb'] },
  epub: { mime: 'application/epub+zip', detected: ['epub'] },
  zip: { mime: 'application/zip', detected: ['zip'] },
  txt: { mime: 'text/plain; charset=utf-8', detected: 'text' },
  md: { mime: 'text/markdown; charset=utf-8', detected: 'text' },
  csv: { mime: 'text/csv; charset=utf-8', detected: 'text' },
};

export type DocumentVerdict = { ok: true; mime: string; ext: string } | { ok: false; message: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

export async function checkDocument(filename: string, bytes: Buffer): Promise<DocumentVerdict> {
  const ext = extensionOf(filename);
  const type = DOCUMENT_TYPES[ext];
  if (!type) return { ok: false, message: `Documents with extension ".${ext}" are not accepted; allowed: ${Object.keys(DOCUMENT_TYPES).join(', ')}` };
  const found = await fileTypeFromBuffer(bytes);
  if (type.detected === 'text') {
    if (found) return { ok: false, message: `This ".${ext}" file holds ${found.ext} bytes, not text` };
    try {
      if (utf8.decode(bytes).includes('\u0000')) return { ok: false, message: 'A text document may not hold NUL bytes' };
    } catch {
      return { ok: false, message: 'A text document must be UTF-8' };
    }
    return { ok: true, mime: type.mime, ext };
  }
  if (!found || !type.detected.includes(found.ext)) {
    return { ok: false, message: `The bytes of this file are ${found ? `of a ${found.ext} file` : 'of no recognised type'}, not of a ".${ext}" document` };
  }
  return { ok: true, mime: type.mime, ext };
}
