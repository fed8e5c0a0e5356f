/**
 * Where a language server runs (jupyterlab-lsp with a SQL server): the body of a
 * `%%interlace_model` cell is SQL for it, the magic line is not Python.
 */
import type { IExtractedCode, IForeignCodeExtractor } from '@jupyterlab/lsp';

const MAGIC_LINE = /^(\s*%%interlace_model\b[^\n]*\n)/;

export class ModelCellExtractor implements IForeignCodeExtractor {
  readonly language = 'sql';
  readonly standalone = false;
  readonly fileExtension = 'sql';
  readonly cellType = ['code'];

  hasForeignCode(code: string, cellType: string): boolean {
    return cellType === 'code' && MAGIC_LINE.test(code);
  }

  extractForeignCode(code: string): IExtractedCode[] {
    const match = MAGIC_LINE.exec(code);
    if (!match) {
      return [{ hostCode: code, foreignCode: null, range: null, virtualShift: null }];
    }
    const lines = code.split('\n');
    const magicLines = match[1].split('\n').length - 1;
    const last = lines.length - 1;
    return [
      {
        hostCode: '',
        foreignCode: code.slice(match[1].length),
        range: {
          start: { line: magicLines, column: 0 },
          end: { line: last, column: lines[last].length }
        },
        virtualShift: null
      }
    ];
  }
}
