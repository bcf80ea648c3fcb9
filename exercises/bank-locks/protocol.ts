// The lock-based bank's protocol: the requests a client sends to the bank and the replies it
// gets, as zod schemas (checked at run time by the tests) and TypeScript types (checked at
// compile time in your code), and the operations you write (BankOps).
//
//   client ──deposit / withdraw / balance──▶ bank ──statement / insufficient-funds──▶ client
//   client ──transfer──▶ bank ──transferred / transfer-failed──▶ client
//   client ──audit──▶ bank ──snapshot──▶ client
//
// The bank is one process (the kit's, in serve.ts). It runs every request as its own *task*,
// concurrently with the others, by calling your operation for it, and sends what your
// operation returns as the reply. Your operations share the accounts: plain objects in
// shared memory, guarded by locks. Amounts are whole numbers of coins.
import { z } from 'zod';
import { refOf, type Context, type MemorySnapshot, type Ref, type Task } from '#runtime';

const amount = z.number().int().positive();
const money = z.number().int();
const txId = z.string().min(1);
const account = z.string().min(1);

// ---- Replies ------------------------------------------------------------------------------------

/** An account's balance: the reply to deposit, to a withdraw that succeeded, and to balance. */
export const Statement = z.object({ type: z.literal('statement'), account, balance: money });
export type Statement = z.infer<typeof Statement>;

/** The reply to a withdraw of more than the balance: nothing changed. */
export const InsufficientFunds = z.object({ type: z.literal('insufficient-funds'), account, balance: money, amount });
export type InsufficientFunds = z.infer<typeof InsufficientFunds>;

/** The one reply to a transfer (and the same reply again to every retry of it). */
export const TransferReply = z.discriminatedUnion('type', [
  /** The money has left the source and arrived at the destination, once. */
  z.object({ type: z.literal('transferred'), tx: txId }),
  /** Nothing moved: the source had too little money. */
  z.object({ type: z.literal('transfer-failed'), tx: txId, reason: z.literal('insufficient-funds') }),
]);
export type TransferReply = z.infer<typeof TransferReply>;

/** Every account once, all read at one moment: the balances add up to the money in the bank. */
export const Snapshot = z.object({
  type: z.literal('snapshot'),
  accounts: z.array(z.object({ account, balance: money })),
});
export type Snapshot = z.infer<typeof Snapshot>;

/** The kit's answer to Inspect: what the tasks did to shared memory (for failure reports). */
export const Memory = z.object({ type: z.literal('memory'), snapshot: z.unknown() });
export type Memory = { readonly type: 'memory'; readonly snapshot: MemorySnapshot };

// ---- Requests -----------------------------------------------------------------------------------

export const Deposit = z.object({ type: z.literal('deposit'), account, amount, replyTo: refOf<Statement>() });
export type Deposit = z.infer<typeof Deposit>;

export const Withdraw = z.object({ type: z.literal('withdraw'), account, amount, replyTo: refOf<Statement | InsufficientFunds>() });
export type Withdraw = z.infer<typeof Withdraw>;

export const GetBalance = z.object({ type: z.literal('balance'), account, replyTo: refOf<Statement>() });
export type GetBalance = z.infer<typeof GetBalance>;

/**
 * Moves `amount` from account `from` to account `to`. `tx` names the transfer: a client that
 * gets no reply sends the very same request again (perhaps while the first is still running),
 * and the bank must never run a transfer twice. Reply: TransferReply, one per request.
 */
export const Transfer = z.object({ type: z.literal('transfer'), tx: txId, from: account, to: account, amount, replyTo: refOf<TransferReply>() });
export type Transfer = z.infer<typeof Transfer>;

/** Asks for a consistent snapshot of every account. Reply: Snapshot. */
export const Audit = z.object({ type: z.literal('audit'), replyTo: refOf<Snapshot>() });
export type Audit = z.infer<typeof Audit>;

/** The tests' question to the kit after a failure: what did the tasks do? Reply: Memory. */
export const Inspect = z.object({ type: z.literal('inspect'), replyTo: refOf<Memory>() });
export type Inspect = z.infer<typeof Inspect>;

export type BankMsg = Deposit | Withdraw | GetBalance | Transfer | Audit | Inspect;

// ---- What you write -----------------------------------------------------------------------------

export const BankConfig = z.object({
  /** The accounts, each with its opening balance (≥ 0). */
  accounts: z.array(z.object({ name: account, balance: z.number().int().nonnegative() })).min(1),
});
export type BankConfig = z.infer<typeof BankConfig>;

/** A transfer request as your `transfer` operation gets it. */
export interface TransferOrder {
  readonly tx: string;
  readonly from: string;
  readonly to: string;
  readonly amount: number;
}

/**
 * Your bank: `open` builds the shared state (accounts, locks, whatever else you need) once;
 * each other operation runs as a task, concurrently with the others, and returns the reply.
 * Every operation gets its task `t`: pass it to every lock operation (`await m.lock(t)`).
 */
export interface BankOps<B> {
  open(config: BankConfig): B;
  deposit(t: Task, bank: B, account: string, amount: number): Promise<Statement>;
  withdraw(t: Task, bank: B, account: string, amount: number): Promise<Statement | InsufficientFunds>;
  balance(t: Task, bank: B, account: string): Promise<Statement>;
  transfer(t: Task, bank: B, order: TransferOrder): Promise<TransferReply>;
  audit(t: Task, bank: B): Promise<Snapshot>;
}

/** Entry point: starts a bank process over a fresh shared state and returns its Ref. */
export type StartBank = (self: Context<never>, config: BankConfig) => Ref<BankMsg> | Promise<Ref<BankMsg>>;

/** What the tests check every message against. */
export const protocol = {
  toSystem: z.discriminatedUnion('type', [Deposit, Withdraw, GetBalance, Transfer, Audit, Inspect]),
  fromSystem: z.union([Statement, InsufficientFunds, TransferReply, Snapshot, Memory]),
};
