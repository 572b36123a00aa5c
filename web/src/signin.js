// The sign-in page: exchanges a pasted API key or JWT for a session cookie, then loads the
// dashboard.
const form = document.getElementById('signin');
const error = document.getElementById('signin-error');
form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.textContent = '';
    const credential = document.getElementById('credential').value.trim();
    if (!credential) {
        error.textContent = 'Paste an API key or a JWT.';
        return;
    }
    try {
        const r = await fetch('/api/v1/session', {
            method: 'POST',
            headers: {'Content-Type': 'application/json'},
            body: JSON.stringify({credential}),
            credentials: 'same-origin',
        });
        if (r.ok) {
            location.replace('/#/overview');
            location.reload();
            return;
        }
        const body = await r.json().catch(() => ({}));
        error.textContent = (body.error && body.error.message) || `Sign-in failed (${r.status}).`;
    } catch (err) {
        error.textContent = 'The server could not be reached.';
    }
});
