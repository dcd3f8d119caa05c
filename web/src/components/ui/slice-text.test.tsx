import { render } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { SliceText } from '@/components/ui/slice-text';

describe('SliceText', () => {
  it('keeps the text as is and allows a break only after each "&"', () => {
    const { container } = render(<SliceText text="region=new_york&store_type=grocery&platform=ios" />);
    expect(container).toHaveTextContent(/^region=new_york&store_type=grocery&platform=ios$/);
    expect(container.querySelectorAll('wbr')).toHaveLength(2);
    expect([...container.querySelectorAll('span.whitespace-nowrap')].map((s) => s.textContent)).toEqual([
      'region=new_york',
      'store_type=grocery',
      'platform=ios',
    ]);
  });
});
