// The header's account corner: "single-user mode" on the embedded default; in team mode the signed-in user
// with a sign-out button, or a token field that signs in (POST /api/session sets an HTTP-only cookie, so this
// page never keeps the token, and downloads and the results worker are signed in too).

import { h } from './dom.js';

async function send(method, body) {
  return fetch('/api/session', { method, headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body) });
}

export async function startAccount(el) {
  let me;
  let status = 0;
  try {
    const response = await fetch('/api/me', { headers: { Accept: 'application/json' } });
    status = response.status;
    me = response.ok ? await response.json() : null;
  } catch {
    return;  // the health dot already says the service is unreachable
  }
  el.replaceChildren();
  if (me && !me.auth_required) {
    el.append(h('span', { class: 'account-mode', id: 'single-user',
      title: 'No sign-in: the embedded default runs for one person; every request acts as the local admin.' },
    'single-user mode'));
    return;
  }
  if (me) {
    const out = h('button', { type: 'button', id: 'sign-out', class: 'link' }, 'Sign out');
    out.addEventListener('click', async () => { await send('DELETE'); location.reload(); });
    el.append(h('span', { id: 'signed-in-as', title: `role: ${me.role}` }, `${me.name} (${me.role})`), out);
    return;
  }
  if (status !== 401) return;
  const input = h('input', { type: 'password', id: 'token', placeholder: 'API token', autocomplete: 'off',
    'aria-label': 'API token (dse token create NAME)' });
  const message = h('span', { class: 'account-error', role: 'alert' });
  const form = h('form', { class: 'sign-in', id: 'sign-in' }, input, h('button', { type: 'submit' }, 'Sign in'),
    message);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const response = await send('POST', { token: input.value.trim() });
    if (response.ok) { location.reload(); return; }
    message.textContent = response.status === 401 ? 'invalid or revoked token' : `sign-in failed (${response.status})`;
  });
  el.append(form);
}
