/** The page shell every dashboard page shares: head, header with navigation, main. */
import type { Child } from "hono/jsx";
import { raw } from "hono/html";
import { assetUrl } from "./assets.ts";
import type { UiAuth } from "./session.ts";

/** Props of Layout. */
export interface LayoutProps {
  title: string;
  auth: UiAuth;
  /** Which header link is the current page. */
  current?: "runs" | "submit";
  /** Extra stylesheets and scripts (by asset name). */
  styles?: Parameters<typeof assetUrl>[0][];
  scripts?: Parameters<typeof assetUrl>[0][];
  children?: Child;
}

/** The HTML document around a page. */
export function Layout(props: LayoutProps) {
  const { auth } = props;
  return (
    <>
      {raw("<!DOCTYPE html>")}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="csrf-token" content={auth.csrf} />
          <title>{`${props.title} · AOS`}</title>
          <link rel="icon" href="data:," />
          <link rel="stylesheet" href={assetUrl("app.css")} />
          {(props.styles ?? []).map((name) => (
            <link rel="stylesheet" href={assetUrl(name)} />
          ))}
          <script src={assetUrl("app.js")} defer></script>
          {(props.scripts ?? []).map((name) => (
            <script src={assetUrl(name)} defer></script>
          ))}
        </head>
        <body>
          <a class="skip" href="#main">Skip to content</a>
          <header class="top">
            <a class="brand" href="/ui">AOS</a>
            {auth.signedIn && (
              <nav aria-label="Main">
                <a
                  href="/ui"
                  aria-current={props.current === "runs" ? "page" : undefined}
                >
                  Runs
                </a>
                <a
                  href="/ui/submit"
                  aria-current={props.current === "submit" ? "page" : undefined}
                >
                  Submit
                </a>
                <a href="/docs">API docs</a>
              </nav>
            )}
            {auth.required && auth.signedIn && (
              <form method="post" action="/ui/logout" class="signout">
                <input type="hidden" name="_csrf" value={auth.csrf} />
                <button type="submit">Sign out</button>
              </form>
            )}
          </header>
          <main id="main" tabindex={-1}>{props.children}</main>
        </body>
      </html>
    </>
  );
}

/** A status badge. */
export function StatusBadge(props: { status: string }) {
  return (
    <span class={`badge status-${props.status.toLowerCase()}`}>
      {props.status}
    </span>
  );
}
