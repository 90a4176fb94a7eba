"""QR labels: ASCII payload URLs (payloads), QR images and PDF label sheets (sheets), who printed what
(models, printing) and the pages that print them and open scanned codes (views)."""
