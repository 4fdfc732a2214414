// The header's health dot: polls /api/ready and says which part is down.

export function startHealthIndicator(el) {
  const text = el.querySelector('.health-text');
  async function check() {
    try {
      const response = await fetch('/api/ready');
      const data = await response.json();
      const down = ['database', 'broker', 'workers'].filter((part) => !data[part].ok);
      el.className = `health ${down.length ? 'degraded' : 'ok'}`;
      text.textContent = down.length ? `${down.join(', ')} down` : 'all systems up';
      el.title = ['database', 'broker', 'workers'].map((part) => `${part}: ${data[part].detail}`).join('\n');
    } catch {
      el.className = 'health down';
      text.textContent = 'service unreachable';
      el.title = 'The API does not answer. Is `dse serve` running?';
    }
  }
  check();
  return setInterval(check, 10000);
}

