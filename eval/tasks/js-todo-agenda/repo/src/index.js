export { parseTodo, parseTodos } from "./todo.js";
export { filterTodos } from "./filter.js";
