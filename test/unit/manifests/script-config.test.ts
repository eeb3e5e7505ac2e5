import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fileWrittenByScript } from '../../../src/manifests/script-config.ts';

test('a here-document into the file: its body, each line at its script line; unquoted with $VAR is a template', () => {
  const script =
    'set -e\ncat > /redis.conf <<EOF\nport 6379\ncluster-announce-ip ${POD_IP}\nEOF\nexec redis-server /redis.conf';
  const w = fileWrittenByScript(script, '/redis.conf', '/data');
  assert.equal(w, { text: 'port 6379\ncluster-announce-ip ${POD_IP}\n', scriptLine: [3, 4], templated: true });
});

test('a quoted delimiter is literal; <<- strips tabs; echo/printf append with >>; > truncates', () => {
  const script = [
    "cat <<-'END' >conf/redis.conf",
    '\tport $NOT_EXPANDED',
    '\tEND',
    'echo "dir /data" >> conf/redis.conf',
    "printf 'appendonly yes\\nprotected-mode no\\n' >>conf/redis.conf",
  ].join('\n');
  const w = fileWrittenByScript(script, '/data/conf/redis.conf', '/data');
  assert.equal(w, {
    text: 'port $NOT_EXPANDED\ndir /data\nappendonly yes\nprotected-mode no\n',
    scriptLine: [2, 4, 5, 5],
    templated: false,
  });
  const truncated = fileWrittenByScript('echo "port 1" > /r.conf\necho "port 2" > /r.conf', '/r.conf', '/');
  assert.equal(truncated, { text: 'port 2\n', scriptLine: [2], templated: false });
});

test("a write lint does not read is 'unknown' (the pod knows); a script that does not write the file: undefined", () => {
  assert.is(fileWrittenByScript('generate-config --out x > /redis.conf', '/redis.conf', '/'), 'unknown');
  assert.is(fileWrittenByScript('echo hi > /other.conf\nexec redis-server /redis.conf', '/redis.conf', '/'), undefined);
  assert.equal(fileWrittenByScript('echo "port $PORT" > /redis.conf', '/redis.conf', '/'), {
    text: 'port $PORT\n',
    scriptLine: [1],
    templated: true,
  });
});

test("another file's here-document is that file's text, not commands; a here-string is no here-document", () => {
  const script = [
    "cat > /etc/motd <<'EOF'",
    'echo "port 1" > /data/redis.conf',
    'EOF',
    'cat <<< "x" > /tmp/y',
    'echo "port 2" > /data/redis.conf',
  ].join('\n');
  const w = fileWrittenByScript(script, '/data/redis.conf', '/data');
  assert.equal(w, { text: 'port 2\n', scriptLine: [5], templated: false });
  assert.is(fileWrittenByScript(script.split('\n').slice(0, 3).join('\n'), '/data/redis.conf', '/data'), undefined);
});

test.run();
