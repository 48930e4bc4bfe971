'use client';
import { useState } from 'react';
import { Button } from './button';

/** Copies `text` to the clipboard and says so. */
export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [copied, setCopied] = useState<'idle' | 'copied' | 'failed'>('idle');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied('copied');
    } catch {
      setCopied('failed');
    }
    setTimeout(() => setCopied('idle'), 2_000);
  };
  return (
    <Button size="sm" onClick={() => void copy()} aria-live="polite">
      {copied === 'copied' ? 'Copied' : copied === 'failed' ? 'Copy failed' : label}
    </Button>
  );
}
