/**
 * Completion of model, table and column names in `%%interlace_model` cells, answered by the
 * kernel (`complete` on the comm: interlace/completions.py) from the session's workspace.
 */
import type {
  CompletionHandler,
  ICompletionContext,
  ICompletionProvider,
  ICompletionProviderManager
} from '@jupyterlab/completer';
import type { LinkRegistry } from './link';
import { isModelCell } from './link';

const KERNEL_PROVIDER = 'CompletionProvider:kernel';

interface IReply {
  start: number;
  end: number;
  items: { label: string; type: string; detail: string }[];
}

/**
 * The kernel's provider completes Python, which is wrong in a SQL cell (it offers builtins such
 * as `open` for `o`): make it step aside in `%%interlace_model` cells.
 */
export function quietKernelProvider(manager: ICompletionProviderManager): void {
  // the token's interface does not list getProviders(); its implementation has it
  const providers = (manager as any).getProviders?.() as Map<string, ICompletionProvider> | undefined;
  const kernel = providers?.get(KERNEL_PROVIDER);
  if (!kernel) {
    return;
  }
  const applies = kernel.isApplicable.bind(kernel);
  kernel.isApplicable = async (context: ICompletionContext) =>
    !isModelCell(context.editor?.model.sharedModel.getSource() ?? '') && applies(context);
}

export class ModelCompletionProvider implements ICompletionProvider {
  readonly identifier = 'interlace:models';
  readonly rank = 1000; // above the kernel's Python completions, which know no SQL
  readonly renderer = null;

  constructor(private _links: LinkRegistry) {}

  async isApplicable(context: ICompletionContext): Promise<boolean> {
    const source = context.editor?.model.sharedModel.getSource() ?? '';
    return !!context.session?.kernel && isModelCell(source);
  }

  async fetch(
    request: CompletionHandler.IRequest,
    context: ICompletionContext
  ): Promise<CompletionHandler.ICompletionItemsReply> {
    const link = this._links.get(context.session?.kernel);
    if (!link) {
      return { start: request.offset, end: request.offset, items: [] };
    }
    const reply = await link.request<IReply>('complete', {
      code: request.text,
      cursor: request.offset
    });
    return {
      start: reply.start,
      end: reply.end,
      items: reply.items.map(item => ({
        label: item.label,
        insertText: item.label,
        type: item.type,
        documentation: item.detail
      }))
    };
  }
}
