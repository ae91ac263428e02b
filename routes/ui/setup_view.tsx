/** The setup phase on the run page: each setup command with its output. */
import { CommandRow } from "./command_row.tsx";
import type { SetupView } from "./run_data.ts";

const STATUS_WORDS: Record<string, string> = {
  built: "ran and its environment was cached",
  restored: "restored from the cache (setup did not run)",
  failed: "failed",
};

/** The "Setup" card; nothing when the work order has no setup commands. */
export function SetupSection(props: { setup: SetupView | null }) {
  const { setup } = props;
  if (setup === null || setup.status === "none") return null;
  return (
    <section class="card" id="setup" aria-labelledby="setup-h">
      <h2 id="setup-h">Setup</h2>
      <p class="muted">
        {`Setup ${STATUS_WORDS[setup.status] ?? setup.status}.`}
      </p>
      {setup.commands.length > 0 && (
        <ol class="commands">
          {setup.commands.map((command, i) => (
            <CommandRow command={command} detailsKey={`setup-${i}`} />
          ))}
        </ol>
      )}
    </section>
  );
}
