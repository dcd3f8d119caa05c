import { Fragment } from 'react';

/**
 * A slice's canonical text (`region=seattle&store_type=grocery`) that may wrap
 * after each "&" but never inside a `dimension=value` pair, so a narrow
 * column shows `store_type=grocery` whole instead of `grocer` / `y`.
 */
export function SliceText({ text }: { text: string }) {
  return (
    <>
      {text.split('&').map((part, i) => (
        <Fragment key={`${i}-${part}`}>
          {i > 0 ? (
            <>
              &amp;
              <wbr />
            </>
          ) : null}
          <span className="whitespace-nowrap">{part}</span>
        </Fragment>
      ))}
    </>
  );
}
