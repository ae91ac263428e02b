/** `/ui/login`: trade AOS_API_TOKEN for a session cookie. */
import { Layout } from "./layout.tsx";
import type { UiAuth } from "./session.ts";

/** The sign-in page; `problem` explains a failed attempt. */
export function LoginPage(
  props: { auth: UiAuth; next: string; problem?: string },
) {
  return (
    <Layout title="Sign in" auth={props.auth}>
      <form method="post" action="/ui/login" class="login card">
        <h1>Sign in</h1>
        <p class="muted">
          Enter the service's API token (AOS_API_TOKEN). It is exchanged for a
          session cookie and never stored in the page.
        </p>
        {props.problem && (
          <p class="error-box" role="alert" id="login-problem">
            {props.problem}
          </p>
        )}
        <input type="hidden" name="_csrf" value={props.auth.csrf} />
        <input type="hidden" name="next" value={props.next} />
        <label for="token">API token</label>
        <input
          type="password"
          id="token"
          name="token"
          autocomplete="current-password"
          required
          autofocus
        />
        <button type="submit" class="primary">Sign in</button>
      </form>
    </Layout>
  );
}
