export * from './layout.js';
export { Mailbox, MailboxError } from './mailbox.js';
export { TimeoutError } from './slot-timeout.js';
