// The bank exercise's protocol: every message, in both directions, as a zod schema (checked
// at run time by the tests) and as a TypeScript type (checked at compile time in your code).
//
//   client ──deposit / withdraw / balance──▶ account ──statement / insufficient-funds──▶ client
//   client ──transfer──▶ source ──credit──▶ destination ──credited──▶ source ──transferred──▶ client
//   client ──audit──▶ auditor ──freeze / balance / thaw──▶ every account ──▶ auditor ──snapshot──▶ client
//
// Amounts are whole numbers of coins (integers), always positive in requests.
import { z } from 'zod';
import { refOf, type Context, type Ref } from '#runtime';

const amount = z.number().int().positive();
const money = z.number().int();
const txId = z.string().min(1);

// ---- Replies an account sends to its clients ----------------------------------------------

/** An account's state: the reply to deposit, to a withdraw that succeeded, and to balance. */
export const Statement = z.object({
  type: z.literal('statement'),
  /** The account's name (config.name). */
  account: z.string(),
  /** Coins the account can spend now. */
  balance: money,
  /** Coins set aside for this account's outgoing transfers that have not finished yet. */
  reserved: money,
  /** The ids of those transfers (this account's own transfers in progress), in any order. */
  pending: z.array(txId),
});
export type Statement = z.infer<typeof Statement>;

/** The reply to a withdraw of more than the balance: nothing changed. */
export const InsufficientFunds = z.object({
  type: z.literal('insufficient-funds'),
  account: z.string(),
  balance: money,
  /** The amount that was asked for. */
  amount,
});
export type InsufficientFunds = z.infer<typeof InsufficientFunds>;

/** The one reply to a transfer request (and the same reply again to every retry of it). */
export const TransferReply = z.discriminatedUnion('type', [
  /** The money has left the source and arrived at the destination, once. */
  z.object({ type: z.literal('transferred'), tx: txId }),
  /** Nothing moved: the source had too little money, or the destination never answered in time. */
  z.object({ type: z.literal('transfer-failed'), tx: txId, reason: z.enum(['insufficient-funds', 'timeout']) }),
]);
export type TransferReply = z.infer<typeof TransferReply>;

// ---- Requests a client sends to an account ------------------------------------------------

/** Adds `amount` to the balance. Reply: Statement. */
export const Deposit = z.object({ type: z.literal('deposit'), amount, replyTo: refOf<Statement>() });
export type Deposit = z.infer<typeof Deposit>;

/** Takes `amount` out if the balance allows. Reply: Statement, or InsufficientFunds (and nothing changes). */
export const Withdraw = z.object({ type: z.literal('withdraw'), amount, replyTo: refOf<Statement | InsufficientFunds>() });
export type Withdraw = z.infer<typeof Withdraw>;

/** Asks for the account's state. Reply: Statement. Answered at once, even during an audit. */
export const GetBalance = z.object({ type: z.literal('balance'), replyTo: refOf<Statement>() });
export type GetBalance = z.infer<typeof GetBalance>;

/**
 * Moves `amount` from this account (the source) to `to` (the destination, another account).
 * `tx` names the transfer: a client that gets no reply sends the very same request again,
 * and the source must never run a transfer twice. Reply: TransferReply, exactly one per request.
 */
export interface Transfer {
  readonly type: 'transfer';
  readonly tx: string;
  readonly to: Ref<AccountMsg>;
  readonly amount: number;
  readonly replyTo: Ref<TransferReply>;
}
export const Transfer = z.object({
  type: z.literal('transfer'),
  tx: txId,
  to: refOf<unknown>(),
  amount,
  replyTo: refOf<TransferReply>(),
});

// ---- Between two accounts: the transfer protocol -------------------------------------------

/**
 * Source → destination: "add `amount` for transfer `tx`". The source sends it again every
 * `retryMs` until it gets Credited (messages can be lost). The destination adds the amount
 * the first time it sees `tx` and never again, and answers Credited to `from` every time.
 */
export const Credit = z.object({ type: z.literal('credit'), tx: txId, amount, from: refOf<Credited>() });
export type Credit = z.infer<typeof Credit>;

/** Destination → source: "transfer `tx` is credited here". The source then commits. */
export const Credited = z.object({ type: z.literal('credited'), tx: txId });
export type Credited = z.infer<typeof Credited>;

// ---- Between the auditor and an account: a consistent snapshot --------------------------------

/**
 * Auditor → account: stop starting anything new (deposit, withdraw and transfer requests
 * wait in the mailbox) but keep serving credit, credited, balance and your own timers. Reply
 * Frozen once this account has no transfer of its own in progress (at once if it has none).
 */
export const Freeze = z.object({ type: z.literal('freeze'), audit: z.string().min(1), replyTo: refOf<Frozen>() });
export type Freeze = z.infer<typeof Freeze>;

/** Account → auditor: frozen for audit `audit`, with no outgoing transfer in progress. */
export const Frozen = z.object({ type: z.literal('frozen'), audit: z.string().min(1), account: z.string() });
export type Frozen = z.infer<typeof Frozen>;

/** Auditor → account: the audit is over; handle the requests that waited. No reply. */
export const Thaw = z.object({ type: z.literal('thaw'), audit: z.string().min(1) });
export type Thaw = z.infer<typeof Thaw>;

/** Every message an account accepts. */
export type AccountMsg = Deposit | Withdraw | GetBalance | Transfer | Credit | Credited | Freeze | Thaw;

// ---- Between a client and the auditor ----------------------------------------------------

/** Asks for a consistent snapshot of every account. Reply: Snapshot. */
export const Audit = z.object({ type: z.literal('audit'), replyTo: refOf<Snapshot>() });
export type Audit = z.infer<typeof Audit>;

/**
 * One line per account, all taken at one consistent moment: the sum of balance + reserved
 * over all accounts is the money in the bank, never more, never less.
 */
export const Snapshot = z.object({
  type: z.literal('snapshot'),
  accounts: z.array(z.object({ account: z.string(), balance: money, reserved: money })),
});
export type Snapshot = z.infer<typeof Snapshot>;

export type AuditorMsg = Audit;

// ---- Entry points ---------------------------------------------------------------------------

export const AccountConfig = z.object({
  /** The account's name: put it in every Statement, InsufficientFunds and Frozen. */
  name: z.string().min(1),
  /** The opening balance (≥ 0). */
  balance: z.number().int().nonnegative(),
  /** Resend Credit every `retryMs` ms until Credited arrives. */
  retryMs: z.number().int().positive(),
  /** Give up on a transfer whose destination has not answered within `timeoutMs` ms: abort it. */
  timeoutMs: z.number().int().positive(),
});
export type AccountConfig = z.infer<typeof AccountConfig>;

/**
 * Entry point: spawn one account process and return its Ref. The tests start each account
 * with its own call, usually on a different kernel from its partners.
 */
export type StartAccount = (self: Context<never>, config: AccountConfig) => Ref<AccountMsg> | Promise<Ref<AccountMsg>>;

export const AuditorConfig = z.object({
  /** Every account of the bank. */
  accounts: z.array(refOf<AccountMsg>()).min(1),
});
export type AuditorConfig = z.infer<typeof AuditorConfig>;

/** Entry point: spawn the auditor and return its Ref. It answers each Audit with one Snapshot. */
export type StartAuditor = (self: Context<never>, config: AuditorConfig) => Ref<AuditorMsg> | Promise<Ref<AuditorMsg>>;

/** What the tests check every message against. */
export const protocol = {
  toSystem: z.discriminatedUnion('type', [Deposit, Withdraw, GetBalance, Transfer, Credit, Credited, Freeze, Thaw, Audit]),
  fromSystem: z.discriminatedUnion('type', [Statement, InsufficientFunds, TransferReply, Credit, Credited, Frozen, Snapshot]),
};
