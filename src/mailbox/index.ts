export * from './layout.js';
export { Mailbox, MailboxError } from './mailbox.js';
