import { lazy, Suspense, type ReactNode } from 'react';
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router-dom';
import type { ApiClient } from './api';
import { Header } from './components/Header';
import { AccountPage } from './pages/AccountPage';
import { AuthPage } from './pages/AuthPage';
import { GalleryPage } from './pages/GalleryPage';
import { PicturePage } from './pages/PicturePage';
import { TracePage } from './pages/TracePage';
import { UploadPage } from './pages/UploadPage';
import { SessionProvider, useSession } from './session';

// The charts library is most of the bundle: loaded only when analytics are opened.
const AnalyticsPage = lazy(() => import('./pages/AnalyticsPage').then((m) => ({ default: m.AnalyticsPage })));

function Loading({ text = 'Restoring your session…' }: { text?: string }) {
  return (
    <main>
      <p role="status" data-testid="session-loading">
        {text}
      </p>
    </main>
  );
}

function RequireAuth({ children }: { children: ReactNode }) {
  const { status } = useSession();
  const location = useLocation();
  if (status === 'loading') return <Loading />;
  if (status === 'signedOut') return <Navigate to="/login" replace state={{ from: location.pathname }} />;
  return <>{children}</>;
}

function GuestOnly({ children }: { children: ReactNode }) {
  const { status } = useSession();
  const location = useLocation();
  if (status === 'loading') return <Loading />;
  if (status === 'signedIn') {
    const from = (location.state as { from?: string } | null)?.from;
    return <Navigate to={from && from !== '/login' && from !== '/signup' ? from : '/gallery'} replace />;
  }
  return <>{children}</>;
}

export function AppRoutes() {
  return (
    <>
      <a className="skip-link" href="#content">
        Skip to content
      </a>
      <Header />
      <div id="content" className="content">
        <Routes>
          <Route path="/login" element={<GuestOnly><AuthPage mode="login" /></GuestOnly>} />
          <Route path="/signup" element={<GuestOnly><AuthPage mode="signup" /></GuestOnly>} />
          <Route path="/gallery" element={<RequireAuth><GalleryPage /></RequireAuth>} />
          <Route path="/pictures/:id" element={<RequireAuth><PicturePage /></RequireAuth>} />
          <Route path="/upload" element={<RequireAuth><UploadPage /></RequireAuth>} />
          <Route
            path="/analytics"
            element={<RequireAuth><Suspense fallback={<Loading text="Loading analytics…" />}><AnalyticsPage /></Suspense></RequireAuth>}
          />
          <Route path="/traces/:traceId" element={<RequireAuth><TracePage /></RequireAuth>} />
          <Route path="/account" element={<RequireAuth><AccountPage /></RequireAuth>} />
          <Route path="*" element={<Navigate to="/gallery" replace />} />
        </Routes>
      </div>
    </>
  );
}

export function App({ client }: { client?: ApiClient }) {
  return (
    <BrowserRouter>
      <SessionProvider client={client}>
        <AppRoutes />
      </SessionProvider>
    </BrowserRouter>
  );
}
