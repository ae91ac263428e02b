/** The run page's Resume form for a run a budget PAUSED (`on_budget: pause`). */
import type { RunPause } from "../../lib/store/mod.ts";

/** What each budget is called on the page. */
const LABEL: Record<RunPause["reason"], string> = {
  max_total_tokens: "token budget",
  max_cost_usd: "cost budget",
  max_wall_time_s: "wall-time budget",
};

/** Why the run waits, and the form that raises its limits (prefilled with the current ones). */
export function PauseForm(
  props: { runId: string; csrf: string; pause: RunPause },
) {
  const { pause } = props;
  return (
    <section class="approval pause" aria-label="Paused at a budget">
      <p>
        This run is paused: it reached its {LABEL[pause.reason]}.{" "}
        {pause.message}. Raise the limit to let it go on from where it stopped
        (time spent paused does not count against the wall time).
      </p>
      <form
        method="post"
        action={`/ui/runs/${props.runId}/resume`}
        class="resume"
      >
        <input type="hidden" name="_csrf" value={props.csrf} />
        <label>
          max_total_tokens
          <input
            type="number"
            name="max_total_tokens"
            min={1}
            step={1}
            value={String(pause.limits.max_total_tokens)}
          />
        </label>
        <label>
          max_cost_usd
          <input
            type="number"
            name="max_cost_usd"
            min={0}
            step="any"
            value={pause.limits.max_cost_usd === null
              ? ""
              : String(pause.limits.max_cost_usd)}
          />
        </label>
        <label>
          max_wall_time_s
          <input
            type="number"
            name="max_wall_time_s"
            min={1}
            step={1}
            value={String(pause.limits.max_wall_time_s)}
          />
        </label>
        <button type="submit">Resume</button>
      </form>
    </section>
  );
}
