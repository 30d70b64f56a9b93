// The error a user's input causes (a bad field, value or file), as opposed to a fault of the system:
// the CLI prints it in one line with exit code 2, the kernel shows it without a stack.

export class TaskError extends Error {
  override name = "TaskError";
}
