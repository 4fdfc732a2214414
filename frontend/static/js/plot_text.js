// Plotly draws labels, legends and hover text from a small markup language (<a href>, <b>, <br>, <span style>), so
// a name a user typed (a sweep's name, a variant's label, a group's value) goes into a plot through `plotText`:
// text, never markup. `&`, `<` and `>` become the entities Plotly turns back into characters (it knows &amp; &lt;
// &gt; and numeric ones, not &quot;), and `%` becomes &#37; so a name is never read as a hovertemplate's %{x}.

const PLOT_ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '%': '&#37;' };

export function plotText(value) {
  return String(value ?? '').replace(/[&<>%]/g, (c) => PLOT_ESCAPES[c]);
}
