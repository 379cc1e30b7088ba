import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { html } from '../../src/hub/html';
import { loginPage } from '../../src/hub/views';

test('interpolated values are escaped', () => {
  const evil = `"><script>alert('x')</script>`;
  assert.is(
    html`<p title="${evil}">${evil}</p>`.text,
    '<p ' +
      'title="&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;">' +
      '&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</p>',
  );
});

test('nested Html is kept, arrays are joined, empty values vanish', () => {
  const inner = html`<b>${'<i>'}</b>`;
  assert.is(html`<p>${inner}${[html`<br>`, '&']}${undefined}${false}</p>`.text, '<p><b>&lt;i&gt;</b><br>&amp;</p>');
});

test('the login page escapes what the request gave it', () => {
  const page = loginPage(
    { xsrf: 'tok' },
    {
      next: '/hub/home"onmouseover="x',
      username: '<img src=x>',
      error: 'Invalid username or password.',
      form: true,
      providers: [{ id: 'oidc', label: '<b>IdP</b>' }],
      notices: [],
    },
  ).text;
  assert.not.ok(page.includes('<img src=x>'));
  assert.ok(page.includes('Sign in with &lt;b&gt;IdP&lt;/b&gt;'));
  assert.ok(page.includes('&lt;img src=x&gt;'));
  assert.not.ok(page.includes('"onmouseover'));
});

test.run();
