/**
 * The shadow DOM of `<kiln-progress>`. Pages restyle it through the custom properties below (they
 * inherit into the shadow root) and the `part`s (`::part(bar)`), never through its inner classes.
 */
export const KILN_PROGRESS_HTML = `
<style>
  :host {
    display: block;
    font: var(--kiln-font, 14px/1.4 system-ui, sans-serif);
    color: var(--kiln-text, #1f2328);
  }
  :host([hidden]) { display: none; }
  [hidden] { display: none !important; }
  .root { display: grid; gap: 8px; }
  .line { display: flex; justify-content: space-between; gap: 12px; }
  .eta, .percent { color: var(--kiln-muted, #656d76); font-variant-numeric: tabular-nums; }
  .bar {
    height: var(--kiln-bar-height, 8px);
    background: var(--kiln-track, #e6e8eb);
    border-radius: var(--kiln-radius, 999px);
    overflow: hidden;
  }
  .fill {
    height: 100%;
    width: 0;
    background: var(--kiln-accent, #0969da);
    border-radius: inherit;
    transition: width 0.3s ease-out;
  }
  :host([status='failed']) .fill, :host([status='cancelled']) .fill { background: var(--kiln-error, #cf222e); }
  :host([status='queued']) .fill { width: 0; }
  .message { margin: 0; color: var(--kiln-error, #cf222e); }
  video {
    width: 100%;
    max-height: var(--kiln-player-max-height, 70vh);
    background: #000;
    border-radius: var(--kiln-player-radius, 6px);
  }
</style>
<div class="root" part="container">
  <div class="line">
    <span class="status" part="status" role="status" aria-live="polite">Loading…</span>
    <span><span class="eta" part="eta"></span> <span class="percent" part="percent"></span></span>
  </div>
  <div class="bar" part="bar" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-label="Progress">
    <div class="fill" part="fill"></div>
  </div>
  <p class="message" part="message" role="alert" hidden></p>
  <video part="player" controls playsinline preload="metadata" hidden></video>
</div>
`;
