# The tracker's image: every process of the Procfile runs from it (compose.yaml says which one where).
# Built from requirements.txt alone; runs as an unprivileged user; static files collected at build time
# and served by WhiteNoise.  README, "Deploying".
FROM python:3.13-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# WeasyPrint (the PDF reports) needs Pango, and a font.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY . .
# The settings need a secret key to load; this one exists only for collectstatic during the build.
RUN DJANGO_SECRET_KEY=build-time-only-for-collectstatic EXEC_SPONSOR_QUIET_EMBEDDED=1 \
        python manage.py collectstatic --noinput -v0 \
 && groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home app \
 && mkdir -p var && chown -R app:app var

USER 10001:10001
# gunicorn.conf.py: listen on every interface of the container, port 8000.
ENV WEB_BIND=0.0.0.0 \
    PORT=8000
EXPOSE 8000
CMD ["bin/procfile-exec", "web"]
