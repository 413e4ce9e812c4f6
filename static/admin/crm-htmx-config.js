// The CRM connections admin polls run progress with htmx; keep htmx within the CSP (no inline indicator style).
htmx.config.includeIndicatorStyles = false;
htmx.config.allowEval = false;
