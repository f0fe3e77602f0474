// SPDX-License-Identifier: GPL-3.0-or-later
// Renders the hand-drawn SVG icon to the hicolor PNG sizes at build time, so the SVG is the only source.
// Usage: bucketscope_render_icon ICON.svg OUTDIR NAME SIZE...
// writes OUTDIR/SIZExSIZE/apps/NAME.png for each SIZE.

#include <QDir>
#include <QImage>
#include <QPainter>
#include <QString>
#include <QSvgRenderer>

#include <cstdio>

int main(int argc, char *argv[])
{
    if (argc < 5) {
        std::fputs("usage: bucketscope_render_icon ICON.svg OUTDIR NAME SIZE...\n", stderr);
        return 2;
    }
    const QString svgPath = QString::fromLocal8Bit(argv[1]);
    const QDir outDir(QString::fromLocal8Bit(argv[2]));
    const QString name = QString::fromLocal8Bit(argv[3]);
    QSvgRenderer renderer(svgPath);
    if (!renderer.isValid()) {
        std::fprintf(stderr, "error: %s is not a valid SVG file\n", argv[1]);
        return 2;
    }
    for (int i = 4; i < argc; ++i) {
        bool ok = false;
        const int size = QString::fromLocal8Bit(argv[i]).toInt(&ok);
        if (!ok || size < 1 || size > 1024) {
            std::fprintf(stderr, "error: size '%s' is not a whole number from 1 to 1024\n", argv[i]);
            return 2;
        }
        QImage image(size, size, QImage::Format_ARGB32_Premultiplied);
        image.fill(Qt::transparent);
        QPainter painter(&image);
        painter.setRenderHint(QPainter::Antialiasing);
        renderer.render(&painter);
        painter.end();
        const QString dir = QStringLiteral("%1x%1/apps").arg(size);
        const QString file = outDir.filePath(dir + QLatin1Char('/') + name + QStringLiteral(".png"));
        if (!outDir.mkpath(dir) || !image.save(file, "PNG")) {
            std::fprintf(stderr, "error: cannot write %s\n", qPrintable(file));
            return 2;
        }
    }
    return 0;
}
