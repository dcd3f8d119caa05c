import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { AppProvider } from '@/app/provider';
import { DocsPage } from '@/docs/components/docs-page';
import '@/index.css';

const root = document.getElementById('root');
if (!root) throw new Error('docs.html has no #root element');

createRoot(root).render(
  <StrictMode>
    <AppProvider>
      <DocsPage />
    </AppProvider>
  </StrictMode>,
);
