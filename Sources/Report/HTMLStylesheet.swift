// The report's inline stylesheet. System fonts only (the file must open offline and look the same on any machine);
// SVG marks are styled by class here so the chart markup stays small.

extension HTMLReport {
    static let stylesheet = """
        :root { --ink: #0f172a; --muted: #475569; --line: #e2e8f0; --paper: #ffffff; --wash: #f8fafc; }
        * { box-sizing: border-box; }
        body { margin: 0; background: var(--wash); color: var(--ink);
          font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", "Liberation Sans", sans-serif; }
        main { max-width: 1300px; margin: 0 auto; padding: 24px 28px 40px; }
        header { background: var(--paper); border: 1px solid var(--line); border-radius: 10px; padding: 18px 22px; }
        h1 { margin: 0 0 4px; font-size: 26px; letter-spacing: -0.01em; }
        h1::before { content: "StreamSim · "; color: var(--muted); font-weight: 400; }
        h2 { font-size: 18px; margin: 0 0 6px; }
        section { background: var(--paper); border: 1px solid var(--line); border-radius: 10px; padding: 16px 22px; margin-top: 18px; }
        .meta { color: var(--muted); margin: 0 0 10px; display: flex; flex-wrap: wrap; gap: 4px 18px; }
        .meta code { font-size: 12px; }
        code { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12.5px; background: #f1f5f9; padding: 1px 4px; border-radius: 4px; word-break: break-all; }
        .description { margin: 6px 0; font-style: italic; }
        .summary { margin: 6px 0 10px; font-size: 15px; max-width: 100ch; }
        .howto { color: var(--muted); max-width: 120ch; margin: 0 0 10px; }
        .settings { display: flex; flex-wrap: wrap; gap: 10px 36px; }
        .engine-settings dl { display: grid; grid-template-columns: auto auto; gap: 0 12px; margin: 4px 0 0; }
        .engine-settings dt { color: var(--muted); }
        .engine-settings dd { margin: 0; font-weight: 600; }
        .legend { display: flex; flex-direction: column; gap: 2px; margin: 0 0 8px; }
        .legend-row { display: flex; flex-wrap: wrap; align-items: center; gap: 2px 16px; }
        .legend-head { font-weight: 700; min-width: 52px; }
        .legend-item { display: inline-flex; align-items: center; gap: 4px; color: #334155; }
        .scroll { overflow-x: auto; }
        .histograms { display: flex; flex-wrap: wrap; gap: 8px 28px; }
        figure.histogram { margin: 0; width: 570px; }
        figure.histogram figcaption { font-weight: 600; margin: 0 0 2px 12px; }
        td code { white-space: nowrap; word-break: normal; }
        table { border-collapse: collapse; width: 100%; font-size: 13px; }
        th { text-align: left; color: var(--muted); font-weight: 600; border-bottom: 2px solid var(--line); padding: 6px 8px; white-space: nowrap; }
        td { border-bottom: 1px solid var(--line); padding: 5px 8px; vertical-align: top; }
        tbody tr:nth-child(even) { background: #fbfdff; }
        td.fate-dropped { color: #b91c1c; font-weight: 600; }
        td.fate-side_output { color: #7c2d12; font-weight: 600; }
        td.fate-late_firing { color: #166534; font-weight: 600; }
        td.fate-malformed, td.fate-lost_to_retention { color: #475569; font-weight: 600; }
        td.label-expected strong { color: #166534; }
        td.label-unexplained span { color: #ffffff; background: #b91c1c; font-weight: 700; padding: 1px 8px; border-radius: 10px; }
        td.nowrap { white-space: nowrap; }
        td.label-same { color: var(--muted); }
        td.missing { color: var(--muted); font-style: italic; }
        span.differs { background: #fef3c7; font-weight: 700; padding: 0 2px; border-radius: 3px; }
        .empty-note { color: var(--muted); font-style: italic; }
        details { margin: 6px 0; }
        summary { cursor: pointer; font-weight: 600; }
        footer { color: var(--muted); font-size: 12px; margin-top: 18px; }
        svg.chart { display: block; font-size: 12px; }
        svg text { fill: #334155; }
        .plot-bg { fill: #ffffff; }
        .plot-frame { fill: none; stroke: #94a3b8; stroke-width: 1; }
        .grid line { stroke: #eef2f7; stroke-width: 1; }
        .axis-title { fill: var(--muted); font-size: 12.5px; }
        .chart-title { font-weight: 600; font-size: 13px; }
        .tick { font-size: 11px; }
        .band-a { fill: #eef2f7; }
        .band-b { fill: #ffffff; }
        .bracket { fill: none; stroke: #94a3b8; stroke-width: 1.5; }
        .window-label { font-size: 10.5px; fill: #64748b; }
        .ideal { stroke: #94a3b8; stroke-width: 1.5; stroke-dasharray: 6 5; }
        .wm { fill: none; stroke-linejoin: round; }
        .wm-effective { stroke-width: 2.6; }
        .wm-input { stroke-width: 1.2; stroke-dasharray: 3 3; opacity: 0.6; }
        .wm-threshold { stroke-width: 1.6; stroke-dasharray: 1 3; stroke-linecap: round; }
        .record { stroke: #ffffff; stroke-width: 1; }
        .fate { fill: none; stroke-width: 2; stroke-linecap: round; }
        .firing { stroke-width: 1.2; stroke-linejoin: round; }
        .lane { fill: #f8fafc; stroke: #e2e8f0; }
        .lane-title { font-weight: 700; font-size: 12.5px; }
        .lane-subtitle { font-size: 11px; fill: #64748b; }
        .lane-note { font-size: 10px; fill: #475569; }
        .batch { stroke-width: 1; }
        .no-data { stroke-dasharray: 2 2; }
        .checkpoint { opacity: 0.9; }
        .incident { stroke-width: 1.2; stroke-dasharray: 5 3; }
        .incident-crash, .incident-fault { stroke: #dc2626; }
        .incident-restart, .incident-recovery { stroke: #16a34a; }
        .incident-note { stroke: #64748b; }
        text.incident-label { font-size: 11px; font-weight: 700; stroke: none; }
        text.incident-crash, text.incident-fault { fill: #b91c1c; }
        text.incident-restart, text.incident-recovery { fill: #15803d; }
        .incident-dot { fill: #ffffff; stroke-width: 2; }
        text.incident-glyph { font-size: 11px; font-weight: 700; fill: #0f172a; }
        .bar { opacity: 0.85; }

        """
}
