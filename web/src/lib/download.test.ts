import { describe, expect, it } from 'vitest';
import { filenameFromContentDisposition } from '@/lib/download';

describe('filenameFromContentDisposition', () => {
  it('reads the quoted file name the server sends', () => {
    expect(filenameFromContentDisposition('attachment; filename="INC-0001-REC-0001-1-plan.md"')).toBe(
      'INC-0001-REC-0001-1-plan.md',
    );
  });

  it('reads a bare name and prefers the RFC 6266 UTF-8 form', () => {
    expect(filenameFromContentDisposition('attachment; filename=plan.md')).toBe('plan.md');
    expect(filenameFromContentDisposition(`attachment; filename="plan.md"; filename*=UTF-8''pl%C3%A4n.md`)).toBe('plän.md');
  });

  it('never returns a path, and nothing when there is no name', () => {
    expect(filenameFromContentDisposition('attachment; filename="../../etc/passwd"')).toBe('passwd');
    expect(filenameFromContentDisposition('attachment; filename=".."')).toBeNull();
    expect(filenameFromContentDisposition('attachment')).toBeNull();
    expect(filenameFromContentDisposition(null)).toBeNull();
  });
});
