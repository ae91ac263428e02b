/** The timeline drawn to scale: one track per iteration, SE/TR/PO segments. */
import { formatCost, formatDuration, formatTokens } from "./format.ts";
import type { IterationTimeline, Phase, Timeline } from "./timeline.ts";

const LABEL: Record<Phase["kind"], string> = {
  prepare: "Prepare",
  SE: "SE",
  TR: "TR",
  PO: "PO",
  finalize: "Commit & push",
};

function Segment(props: { phase: Phase; t0: number; span: number }) {
  const { phase, t0, span } = props;
  const left = ((phase.start - t0) / span) * 100;
  const width = Math.max(((phase.end - phase.start) / span) * 100, 0.4);
  const text = `${LABEL[phase.kind]} ${
    formatDuration(phase.end - phase.start)
  }${phase.live ? " (running)" : ""}`;
  return (
    <span
      class={`seg seg-${phase.kind.toLowerCase()}${phase.live ? " live" : ""}`}
      style={`left:${left.toFixed(3)}%;width:${
        Math.min(width, 100 - left).toFixed(3)
      }%`}
      title={text}
    >
      <span class="sr">{text}</span>
    </span>
  );
}

function Track(
  props: {
    label: string;
    phases: Phase[];
    t0: number;
    span: number;
    meta: string;
  },
) {
  return (
    <li class="track">
      <span class="track-label">{props.label}</span>
      <span class="bar">
        {props.phases.map((phase) => (
          <Segment phase={phase} t0={props.t0} span={props.span} />
        ))}
      </span>
      <span class="track-meta">{props.meta}</span>
    </li>
  );
}

function iterationMeta(it: IterationTimeline): string {
  const ms = it.phases.reduce((sum, p) => sum + (p.end - p.start), 0);
  const parts = [formatDuration(ms)];
  if (it.usage) {
    parts.push(
      `${formatTokens(it.usage.total_tokens)} tokens`,
      formatCost(it.usage.cost_usd),
    );
  }
  if (it.decision) parts.push(it.decision);
  return parts.join(" · ");
}

/** The timeline section; nothing before the run has started. */
export function TimelineView(props: { timeline: Timeline }) {
  const { timeline } = props;
  if (timeline.start === null) {
    return (
      <section class="card" aria-labelledby="timeline-h">
        <h2 id="timeline-h">Timeline</h2>
        <p class="empty">Not started yet.</p>
      </section>
    );
  }
  const t0 = timeline.start;
  const span = Math.max(timeline.end - t0, 1);
  return (
    <section class="card" aria-labelledby="timeline-h" id="timeline">
      <h2 id="timeline-h">Timeline</h2>
      <p class="legend">
        {`Total ${formatDuration(timeline.end - t0)} · `}
        <span class="key seg-se">SE</span> engineer{" "}
        <span class="key seg-tr">TR</span> tool runner{" "}
        <span class="key seg-po">PO</span> product owner
      </p>
      <ol class="tracks">
        {timeline.prepare && (
          <Track
            label="Prepare"
            phases={[timeline.prepare]}
            t0={t0}
            span={span}
            meta={formatDuration(timeline.prepare.end - timeline.prepare.start)}
          />
        )}
        {timeline.iterations.map((it) => (
          <Track
            label={`Iteration ${it.iteration}`}
            phases={it.phases}
            t0={t0}
            span={span}
            meta={iterationMeta(it)}
          />
        ))}
        {timeline.finalize && (
          <Track
            label="Commit & push"
            phases={[timeline.finalize]}
            t0={t0}
            span={span}
            meta={formatDuration(
              timeline.finalize.end - timeline.finalize.start,
            )}
          />
        )}
      </ol>
    </section>
  );
}
