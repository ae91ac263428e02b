/** Error pages of the dashboard: what went wrong, and a way back. */
import { Layout } from "./layout.tsx";
import type { UiAuth } from "./session.ts";

/** A page for a 4xx/5xx answer. */
export function ErrorPage(
  props: { auth: UiAuth; title: string; message: string; problems?: string[] },
) {
  return (
    <Layout title={props.title} auth={props.auth}>
      <h1>{props.title}</h1>
      <p class="error-box" id="error-message">{props.message}</p>
      {props.problems && props.problems.length > 0 && (
        <ul>
          {props.problems.map((p) => <li key={p}>{p}</li>)}
        </ul>
      )}
      <p>
        <a href="/ui">Back to the runs</a>
      </p>
    </Layout>
  );
}
