// Selecting todos.

/**
 * The todos matching every option given:
 * - `done`: true for done todos only, false for open ones only.
 */
export function filterTodos(todos, options = {}) {
  return todos.filter((todo) => {
    if (options.done !== undefined && todo.done !== options.done) return false;
    return true;
  });
}
