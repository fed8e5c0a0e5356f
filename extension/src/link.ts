/**
 * The page side of the kernel comm `interlace` (kernel side: interlace/magics/comm.py).
 *
 * One `KernelLink` per kernel: it holds the comm, the session's models as the kernel last sent
 * them, and answers requests (`models`, `complete`, `run`) by their reply.
 */
import type { Kernel, KernelMessage } from '@jupyterlab/services';
import type { ISignal } from '@lumino/signaling';
import { Signal } from '@lumino/signaling';

export const TARGET = 'interlace';

/** A model as the kernel describes it. */
export interface IModelInfo {
  name: string;
  kind: string;
  materialize: string;
  strategy: string;
  origin: string;
  path: string;
  line: number | null;
  cell: number | null;
  file: string | null;
  cell_ids: string[];
  description: string;
  upstream: string[];
  status: string;
  last_build: string | null;
  last_run: { [key: string]: unknown } | null;
}

type Pending = { resolve: (value: any) => void; reject: (reason: Error) => void };

export class KernelLink {
  constructor(readonly kernel: Kernel.IKernelConnection) {
    kernel.registerCommTarget(TARGET, (comm, msg) => this._attach(comm, msg));
    // a kernel that loaded interlace before this page opened: connect to its target
    const comm = kernel.createComm(TARGET);
    this._attach(comm, null);
    comm.open({ version: 1 });
  }

  /** The session's models (empty until the kernel runs `%load_ext interlace`). */
  get models(): IModelInfo[] {
    return this._models;
  }

  /** Whether a kernel-side session answers on the comm. */
  get connected(): boolean {
    return this._comm !== null && this._heard;
  }

  /** Emitted when the models or their statuses change. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  model(name: string): IModelInfo | undefined {
    return this._models.find(m => m.name === name);
  }

  /** Ask the kernel; resolves with the reply's data, rejects with its error message. */
  request<T = any>(op: string, args: { [key: string]: unknown } = {}): Promise<T> {
    if (!this._comm || this._comm.isDisposed) {
      return Promise.reject(
        new Error('interlace is not loaded in this kernel: run %load_ext interlace first')
      );
    }
    const id = ++this._counter;
    const done = new Promise<T>((resolve, reject) => this._pending.set(id, { resolve, reject }));
    this._comm.send({ id, op, ...args } as any);
    return done;
  }

  dispose(): void {
    this._comm?.close();
    this._comm = null;
    Signal.clearData(this);
  }

  private _attach(comm: Kernel.IComm, _msg: KernelMessage.ICommOpenMsg | null): void {
    if (this._comm && this._comm !== comm && !this._comm.isDisposed) {
      const old = this._comm;
      this._comm = comm;
      old.close();
    }
    this._comm = comm;
    comm.onMsg = msg => this._receive(msg.content.data as any);
    comm.onClose = () => {
      if (this._comm === comm) {
        this._comm = null;
        this._heard = false;
        this._changed.emit();
      }
    };
  }

  private _receive(data: any): void {
    this._heard = true;
    if (data.type === 'reply') {
      const pending = this._pending.get(data.reply_to);
      this._pending.delete(data.reply_to);
      if (pending) {
        data.ok ? pending.resolve(data.data) : pending.reject(new Error(data.error));
      }
      return;
    }
    if (data.type === 'models') {
      this._models = data.models as IModelInfo[];
    } else if (data.type === 'event') {
      const statuses = data.statuses as { [name: string]: string };
      this._models = this._models.map(m =>
        statuses[m.name] ? { ...m, status: statuses[m.name] } : m
      );
      const type = data.event?.type as string;
      if (type === 'run.finished' || type === 'run.failed' || type === 'run.cancelled') {
        // the last builds and the plan's statuses changed: ask for them
        void this.request<IModelInfo[]>('models').then(models => {
          this._models = models;
          this._changed.emit();
        });
      }
    }
    this._changed.emit();
  }

  private _comm: Kernel.IComm | null = null;
  private _heard = false;
  private _counter = 0;
  private _models: IModelInfo[] = [];
  private _pending = new Map<number, Pending>();
  private _changed = new Signal<this, void>(this);
}

/** The links of every kernel the page talks to, by kernel id. */
export class LinkRegistry {
  get(kernel: Kernel.IKernelConnection | null | undefined): KernelLink | null {
    if (!kernel) {
      return null;
    }
    let link = this._links.get(kernel.id);
    if (!link || link.kernel !== kernel) {
      link?.dispose();
      link = new KernelLink(kernel);
      this._links.set(kernel.id, link);
      kernel.disposed.connect(() => {
        this._links.get(kernel.id)?.dispose();
        this._links.delete(kernel.id);
      });
    }
    return link;
  }

  private _links = new Map<string, KernelLink>();
}

/** Whether a cell's source is a `%%interlace_model` cell. */
export function isModelCell(source: string): boolean {
  return /^\s*%%interlace_model\b/.test(source);
}
