/** A runner result that can never be imported (an unsafe listing, no playable file…): the task fails at once, without retries. */
export class InvalidResult extends Error {}
