/** One challenge of a `WWW-Authenticate` header (RFC 7235). */
export interface AuthChallenge {
  /** Lower-cased: `bearer`, `basic`. */
  readonly scheme: string;
  /** Parameter names lower-cased, values unquoted: `realm`, `service`, `scope`, `error`. */
  readonly params: Readonly<Record<string, string>>;
}

const TOKEN_CHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;

/**
 * Parses a `WWW-Authenticate` value into its challenges, e.g.
 * `Bearer realm="https://auth.docker.io/token",service="registry.docker.io"` or several
 * challenges in one value (`Bearer realm="a", Basic realm="b"`). Quoted values may hold commas
 * and escaped quotes. Unparseable fragments are skipped rather than thrown: the caller reports a
 * 401 with the raw header when no usable challenge remains.
 */
export function parseChallenges(header: string): AuthChallenge[] {
  const challenges: { scheme: string; params: Record<string, string> }[] = [];
  let position = 0;
  const length = header.length;

  const skipWhitespace = (): void => {
    while (position < length && (header[position] === ' ' || header[position] === '\t'))
      position += 1;
  };
  const readToken = (): string => {
    const start = position;
    while (position < length && TOKEN_CHAR.test(header[position] ?? '')) position += 1;
    return header.slice(start, position);
  };
  // Lenient: servers send unquoted URLs, which are not RFC tokens; a bare value ends at a comma or space.
  const readBareValue = (): string => {
    const start = position;
    while (
      position < length &&
      header[position] !== ',' &&
      header[position] !== ' ' &&
      header[position] !== '\t'
    ) {
      position += 1;
    }
    return header.slice(start, position);
  };
  const readQuoted = (): string => {
    position += 1; // opening quote
    let value = '';
    while (position < length && header[position] !== '"') {
      if (header[position] === '\\' && position + 1 < length) position += 1;
      value += header[position] ?? '';
      position += 1;
    }
    position += 1; // closing quote
    return value;
  };

  while (position < length) {
    skipWhitespace();
    while (header[position] === ',') {
      position += 1;
      skipWhitespace();
    }
    if (position >= length) break;
    const scheme = readToken();
    if (scheme.length === 0) {
      position += 1; // not a token character: skip it
      continue;
    }
    const challenge = { scheme: scheme.toLowerCase(), params: {} as Record<string, string> };
    challenges.push(challenge);
    // Parameters follow until a token that is not followed by `=`, which starts the next challenge.
    for (;;) {
      skipWhitespace();
      const paramStart = position;
      const name = readToken();
      skipWhitespace();
      if (name.length === 0 || header[position] !== '=') {
        position = paramStart;
        break;
      }
      position += 1;
      skipWhitespace();
      // token68 (`Negotiate abc==`): the name is the whole credential; keep it and move on.
      if (header[position] === '=' || position >= length || header[position] === ',') {
        while (header[position] === '=') position += 1;
        challenge.params[name.toLowerCase()] = '';
      } else {
        challenge.params[name.toLowerCase()] =
          header[position] === '"' ? readQuoted() : readBareValue();
      }
      skipWhitespace();
      if (header[position] === ',') {
        position += 1;
        continue;
      }
      break;
    }
  }
  return challenges;
}

/** The Bearer challenge with a realm, else the Basic one, else undefined. */
export function preferredChallenge(
  challenges: readonly AuthChallenge[],
): AuthChallenge | undefined {
  return (
    challenges.find(
      (challenge) => challenge.scheme === 'bearer' && challenge.params['realm'] !== undefined,
    ) ?? challenges.find((challenge) => challenge.scheme === 'basic')
  );
}
