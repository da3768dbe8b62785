DELETE FROM platform_classes;
